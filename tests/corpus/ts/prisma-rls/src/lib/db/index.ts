export { db } from "./client";
export { withUserContext as withTenant, withSystemContext } from "./context";

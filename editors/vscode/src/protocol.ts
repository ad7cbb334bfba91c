// The editor protocol beyond LSP that Baton's clients speak (docs/editor-protocol.md).
import { RequestType } from "vscode-languageclient/node";

/** Params of `baton/itemStatus`. */
export interface ItemStatusParams {
  uri: string;
}

/** Result of `baton/itemStatus`: the work item a document belongs to, or null. */
export interface ItemStatus {
  item: string;
  stage: string | null;
  unmet: string[];
}

/** `baton/itemStatus`: which work item the document belongs to, its stage and unmet requirements. */
export const itemStatusRequest = new RequestType<ItemStatusParams, ItemStatus | null, void>("baton/itemStatus");

/** The one argument of every `baton.*` workspace command. */
export interface CommandArgs {
  uri: string;
  item?: string;
  stage?: string;
  gate?: string;
  role?: string;
  by?: string;
  note?: string;
}

/** The server-side command names (CONTRACT.md §7). */
export const ServerCommand = {
  advanceStage: "baton.advanceStage",
  runGate: "baton.runGate",
  recordApproval: "baton.recordApproval",
  createHandoff: "baton.createHandoff",
  dispatchAgent: "baton.dispatchAgent",
  showEvidence: "baton.showEvidence",
} as const;

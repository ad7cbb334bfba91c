import type { InvoiceDto } from "../lib/types";

export const fixture = { id: "inv_1", total: 10, status: "paid" } as InvoiceDto;

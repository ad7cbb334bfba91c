export type InvoiceDto = { id: string; total: number; status: "draft" | "paid" };

export interface ProfileDTO { // expect: patterns/dto-interface
  id: string;
  display_name: string | null;
}

export interface InvoiceRepository {
  byId(id: string): Promise<InvoiceDto | null>;
}

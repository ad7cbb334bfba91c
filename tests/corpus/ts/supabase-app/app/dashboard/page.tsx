import { createClient } from "@/utils/supabase/server";
import { InvoiceList } from "@/components/invoice-list";

export default async function Dashboard() {
  const supabase = await createClient();
  const { data: invoices } = await supabase.from("invoices").select("id, total, status");
  return <InvoiceList invoices={invoices ?? []} />;
}

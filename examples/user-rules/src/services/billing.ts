import { withTracing } from "@/lib/tracing";

export async function invoices() {
  const res = await fetch("http://billing.internal/invoices");
  return res.json();
}

export async function rates() {
  const res = await withTracing(() => fetch("http://rates.internal/today"));
  const pub = await fetch("https://api.example.com/rates");
  return [await res.json(), await pub.json()];
}

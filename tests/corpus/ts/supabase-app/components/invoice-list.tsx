"use client";
import { useEffect, useState } from "react";
import { supabase } from "@/utils/supabase/client";
import type { InvoiceDto } from "@/lib/types";

export function InvoiceList({ invoices }: { invoices: InvoiceDto[] }) {
  const [rows, setRows] = useState(invoices);
  useEffect(() => {
    const channel = supabase
      .channel("invoices")
      .on("postgres_changes", { event: "*", schema: "public", table: "invoices" }, (payload) =>
        setRows((current) => [...current, payload.new as InvoiceDto]), // expect: patterns/dto-type-assertion
      )
      .subscribe();
    return () => {
      void supabase.removeChannel(channel);
    };
  }, []);
  return <ul>{rows.map((r) => <li key={r.id}>{r.total}</li>)}</ul>;
}

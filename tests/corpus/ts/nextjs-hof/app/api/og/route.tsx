// Edge image route: no data access.
export async function GET(req: Request) {
  const title = new URL(req.url).searchParams.get("title") ?? "Links";
  return new Response(`<svg><text>${title}</text></svg>`, { headers: { "content-type": "image/svg+xml" } });
}

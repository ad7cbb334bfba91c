use baton::lsp::buffer::{Buffer, Encoding};
use std::time::Instant;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};
include!("/tmp/bigfile.rs");
fn main() {
    let text = big_file(5000);
    let config = std::sync::Arc::new(baton::config::Config::default());
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let mut buffer = Buffer::open("src/big.ts".into(), baton::syntax::FileKind::TypeScript, &text, 1);
    let mut cache = baton::engine::incremental::AnalysisCache::new();
    let mut prev: Option<baton::engine::WorkspaceFacts> = None;
    let mut t = [0f64; 4];
    for i in 0..n {
        let line = 3 + (i as u32 * 23) % 4900;
        let change = if i % 2 == 0 {
            TextDocumentContentChangeEvent {
                range: Some(Range { start: Position::new(line, 0), end: Position::new(line, 0) }),
                range_length: None,
                text: "x".into(),
            }
        } else {
            let p = 3 + ((i as u32 - 1) * 23) % 4900;
            TextDocumentContentChangeEvent {
                range: Some(Range { start: Position::new(p, 0), end: Position::new(p, 1) }),
                range_length: None,
                text: "".into(),
            }
        };
        let s = Instant::now();
        buffer.apply_changes(&[change], i as i32 + 2, Encoding::Utf16);
        t[0] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let doc = &buffer.doc;
        let ff = cache.file_facts(doc);
        let part = baton::engine::facts::DocumentFacts::from_file_facts(doc, &config, &ff);
        let mut facts = baton::engine::WorkspaceFacts::assemble([&part]);
        if let Some(p) = &prev {
            facts.continue_epoch(p);
        }
        t[1] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let f = cache.analyze(doc, &config, &facts);
        t[2] += s.elapsed().as_secs_f64();
        std::hint::black_box(f);
        prev = Some(facts);
        eprintln!("{:?}", cache.last_stats());
    }
    println!(
        "apply {:.2} ms, facts {:.2} ms, analyze {:.2} ms",
        t[0] * 1e3 / n as f64,
        t[1] * 1e3 / n as f64,
        t[2] * 1e3 / n as f64
    );
}

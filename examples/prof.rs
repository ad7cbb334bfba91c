use std::time::Instant;
include!("/tmp/bigfile.rs");
fn main() {
    let text = big_file(5000);
    let config = baton::config::Config::default();
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let mut t = [0f64; 4];
    for _ in 0..n {
        let s = Instant::now();
        let doc = baton::syntax::Document::parse("src/big.ts", baton::syntax::FileKind::TypeScript, text.as_str());
        t[0] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let facts = baton::engine::WorkspaceFacts::collect(&[&doc], &config);
        t[1] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let f = baton::engine::analyze_document(&doc, &config, &facts);
        t[2] += s.elapsed().as_secs_f64();
        std::hint::black_box(f);
    }
    println!(
        "parse {:.2} ms, facts {:.2} ms, analyze {:.2} ms",
        t[0] * 1e3 / n as f64,
        t[1] * 1e3 / n as f64,
        t[2] * 1e3 / n as f64
    );
}

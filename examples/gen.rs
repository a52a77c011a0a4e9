//! Writes a generated platform with N services to standard output:
//! `cargo run --release --example gen -- 1000 > big.tap`

fn main() {
    let n = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: gen N   (a platform with N services on standard output)");
            std::process::exit(2);
        }
    };
    print!("{}", tapc::gen::platform(n));
}

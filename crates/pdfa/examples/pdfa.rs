//! Development helper: `pdfa convert IN OUT` or `pdfa check FILE...`.
#![allow(clippy::unwrap_used)]

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("convert") => {
            let r = sceau_pdfa::convert_file(Path::new(&args[1]), &Default::default());
            match r {
                Ok(c) => {
                    std::fs::write(&args[2], &c.output).unwrap();
                    println!("{:?} {:?} {:?} {:?}", c.route, c.duration, c.pages, c.notes);
                }
                Err(e) => println!("ERR {} {} / {e}", e.code(), e.message_fr()),
            }
        }
        Some("native") => match sceau_pdfa::convert_native(&std::fs::read(&args[1]).unwrap()) {
            Ok(out) => std::fs::write(&args[2], out).unwrap(),
            Err(e) => println!("ERR {e}"),
        },
        Some("check") => {
            for f in &args[1..] {
                let v = sceau_pdfa::check_pdfa1b(&std::fs::read(f).unwrap());
                println!("{f}: {}", if v.conformant { "OK" } else { "NON" });
                for x in v.violations {
                    println!("  {} {} {}", x.clause, x.code, x.message_fr);
                }
            }
        }
        _ => eprintln!("usage"),
    }
}

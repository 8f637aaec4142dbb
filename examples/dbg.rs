fn main() {
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let s = deploysim::bench::scenario(args[0], args[1], args[2]);
    let r = deploysim::world::World::new(s).simulate();
    std::io::Write::write_all(&mut std::io::stdout(), &deploysim::report::events_csv(&r)).unwrap();
    std::io::Write::write_all(&mut std::io::stdout(), &deploysim::report::timeline_csv(&r)).unwrap();
    println!("{}", deploysim::report::summary_json(&r));
}

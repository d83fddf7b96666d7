//! Faults from outside: the database stops taking writes or goes away (`database`), and the
//! aggregator fails and hangs (`aggregator`). Nothing is lost, nothing is sent twice, and the
//! service carries on by itself.

mod aggregator;
mod database;

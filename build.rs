//! Rebuilds mitan when a migration is added or changed: `sqlx::migrate!` embeds the folders at
//! compile time, and on a stable toolchain it cannot tell cargo to watch them itself.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

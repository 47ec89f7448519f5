//! One module per subcommand.

pub mod explain;
pub mod merge;
pub mod run;
pub mod stage;
pub mod vocab;
pub mod worker;

//! One module per subcommand.

pub mod explain;
pub mod run;
pub mod stage;
pub mod vocab;

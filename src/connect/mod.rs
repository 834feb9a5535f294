//! TEMPORARY scaffolding so the crate compiles while `connect` is written; replaced by the real command.
use crate::error::{Exit, Failure};

pub struct Plan;

impl Plan {
    pub fn from_args(_args: crate::cli::ConnectArgs) -> Result<Plan, Failure> {
        Err(Failure::new("connect", "not written yet"))
    }
}

pub async fn run(_plan: Plan) -> Result<Exit, Failure> {
    Err(Failure::new("connect", "not written yet"))
}

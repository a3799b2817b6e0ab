//! Every secret the crate makes — codes, ticket ids, salts, keys — comes straight from the
//! operating system's generator (`getrandom(2)` on Linux, through `rand`'s `SysRng`).
//!
//! Not from a user-space generator such as `rand::rng()`: a thread-local generator seeded once
//! is copied, state and all, into a child process by `fork`, and parent and child would then
//! issue the same codes. Asking the kernel each time costs about a microsecond and has no state
//! to copy.

use rand::TryRng as _;
use rand::rngs::SysRng;

/// The operating system's generator failed (it does not on supported platforms once booted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomError;

/// Fills `bytes` from the operating system's generator.
pub(crate) fn fill(bytes: &mut [u8]) -> Result<(), RandomError> {
    SysRng.try_fill_bytes(bytes).map_err(|_| RandomError)
}

/// The operating system's generator, as a `rand` generator for the code samplers.
pub(crate) fn os() -> SysRng {
    SysRng
}

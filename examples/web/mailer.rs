//! The development mailer: every mail goes to this process's standard output, as a block the
//! developer reads (and the browser suite parses). Nothing else keeps the mail: there is no
//! endpoint or file that hands out codes. In production replace it with a mailer that queues
//! the mail and returns at once (see `kenpo_auth::Mailer`: a flow that waits on SMTP tells by
//! its time whether it mailed, and so whether a user ID exists).

use std::convert::Infallible;
use std::io::Write as _;

use kenpo_auth::{Mail, Mailer};

#[derive(Clone, Copy, Debug, Default)]
pub struct DevMailer;

impl Mailer for DevMailer {
    type Error = Infallible;

    async fn send(&self, mail: Mail) -> Result<(), Infallible> {
        let mut block = format!("┌─ mail to {} ─ {}\n", mail.to, mail.subject);
        for line in mail.body.lines() {
            block.push_str("│ ");
            block.push_str(line);
            block.push('\n');
        }
        block.push_str("└─\n");
        // One write under the lock, so that two mails never interleave.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(block.as_bytes());
        let _ = out.flush();
        Ok(())
    }
}

//! TODO: testkit

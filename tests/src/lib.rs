//! See tests/tests.

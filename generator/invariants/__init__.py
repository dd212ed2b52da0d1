"""Security invariants of DESIGN.md, one module each, checked on every rendered file."""

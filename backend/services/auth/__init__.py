"""Sign-in, tokens and linking a WeChat user to a roster entry."""

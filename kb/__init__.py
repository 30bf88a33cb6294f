"""Knowledge base: article loading and pure-function matching."""

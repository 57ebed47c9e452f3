"""Stage 6: build and run the generated project (host today; boards next)."""

"""Small helpers the rest of racesim builds on: TOML reading, output paths, text tables,
"did you mean" suggestions and optional dependencies. They import nothing of racesim but its
errors and limits, so any layer may use them."""

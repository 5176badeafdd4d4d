"""The engagement paths of the mini-program, and the badge simulation for committees."""

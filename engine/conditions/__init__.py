"""What the network is conditioned on: per-frame audio features and text features."""

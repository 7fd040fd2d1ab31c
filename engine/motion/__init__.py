"""Motion: quaternions, skeletons, Motion, the 1141-dim pose codec, BVH, retargeting and bone maps."""

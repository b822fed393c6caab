"""The baselines the portal is compared with, measured in the same run under the same settings."""

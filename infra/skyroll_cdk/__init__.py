"""Skyroll's AWS CDK app: one stack per deployment stage, built from the pipeline declaration."""

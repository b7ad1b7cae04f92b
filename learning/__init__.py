"""What the warehouse learns from its own churn history, always walk-forward.

Labels and fit dates (`labels`), point-in-time features (`features`), the churn model
(`churn_model`) and the learned scorecard (`scorecard`). Every fit made on day D uses only
examples whose 90-day churn label was already decided on D.
"""

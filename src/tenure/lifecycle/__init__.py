"""The lifecycle engine in the database: stages, transitions, health, tasks, churn audit."""

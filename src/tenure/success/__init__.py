"""Customer success: onboarding checklists (their steps are tasks) and success plans."""

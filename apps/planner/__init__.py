"""The site planner's own state and views (apps/site_planner.py assembles them)."""

"""Country action plans, between scoring and the reports: each country's actions from the framework's action plan
(stable ids, priority, suggested dates) with what the store tracks of them."""

"""rehsos — information system for Indonesia's social rehabilitation programme."""

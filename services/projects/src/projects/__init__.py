"""projects: projects and their parties, supervisors and participants (HB-02, HN-01)."""

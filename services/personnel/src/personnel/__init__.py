"""personnel: agency staff, certificates, training, assessments (HUN-04..18, HEB-11).

For now it keeps the staff directory it will build on, from identity's events."""

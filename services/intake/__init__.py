"""Intake: the HTTP door for police alerts, reception-centre registrations and sightings."""

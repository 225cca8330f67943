"""Country resolution and reference populations for the geography check."""

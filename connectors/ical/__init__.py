"""iCal feeds fetched by URL (https, http, webcal)."""

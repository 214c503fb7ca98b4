"""The dashboard's pages for batches (Lotes) and payouts (Pagos): thin views over the services."""

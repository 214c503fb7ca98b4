"""Credit reports (issue 12): portfolio, repayments, disbursements and a borrower's account
statement, as CSV, XLSX and PDF, for one organization (see docs/credit.md, "Reports")."""

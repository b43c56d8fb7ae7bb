"""Documents: 利用明細書（領収書） and 払いもどし計算書, from the request to the e-mailed PDF."""

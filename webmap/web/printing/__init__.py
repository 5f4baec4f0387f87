"""The 印刷用の地図 page (/print) and its sheet downloads."""

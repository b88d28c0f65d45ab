INSERT INTO safegrid_meta (key, value) VALUES ('demo_truth', ?1)

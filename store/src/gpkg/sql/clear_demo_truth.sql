DELETE FROM safegrid_meta WHERE key = 'demo_truth'

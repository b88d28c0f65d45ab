-- What a publication rewrites: the world's layers (incidents are re-placed, not removed).
TRUNCATE mediators, departments, officer_villages, officers, resources, cells, regions;

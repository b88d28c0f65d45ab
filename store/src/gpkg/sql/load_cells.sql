SELECT geom, code, name, population, synthetic FROM cells ORDER BY code

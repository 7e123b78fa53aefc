DROP TABLE gazetteer;

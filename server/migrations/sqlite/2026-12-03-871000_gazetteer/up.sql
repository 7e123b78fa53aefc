-- The gazetteer (地名地址库) the hotline locates callers' addresses with: addresses and road
-- segments the city imports, each with a position and its search key (lower case, without
-- white space or punctuation; see server/src/hotline/gazetteer.rs), matched with LIKE.
CREATE TABLE gazetteer (
    name TEXT PRIMARY KEY NOT NULL,
    search_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL
);

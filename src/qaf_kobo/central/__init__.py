"""ODK Central: credentials by pyodk's conventions, a pyodk-based client, deploying the XForm, paged OData
reads, and Central's submissions in the store's row format."""

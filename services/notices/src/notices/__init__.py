"""notices: 告知书 (notices) issued from submitted plans, rectification replies and their review.

HB-06 (a submitted plan whose disposition is 限期整改/停工整改 yields one notice per
project) and HB-08 (the project department replies, the supervisor reviews, as many
rounds as needed until a reply passes).
"""
